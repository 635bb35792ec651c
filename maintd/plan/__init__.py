"""The plan stage: a Calendar -> fires (task × host × instant), each with its decision.

Takes a validated ``Calendar``; hands on ``Fire`` values, or for a whole period their counts
per task, host and stretch of time (``counting``). Pure: no clock is read here, every
function is given the period it plans.
"""

from maintd.plan.planner import Fire, Planner

__all__ = ["Fire", "Planner"]
