"""maintd: a preventive-maintenance scheduler daemon.

The data path, one package a stage: config (calendar) -> plan -> schedule -> execute -> results
-> store -> respond -> predict -> report. Each stage imports only from the stages before it.
"""

__version__ = "0.1.0"
