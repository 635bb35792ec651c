"""The plan stage: a Calendar -> fires (task × host × instant), each with its decision.

Takes a validated ``Calendar``; hands on ``Fire`` values. Pure: no clock is read here, every
function is given the period it plans.
"""

from maintd.plan.planner import Fire, Planner

__all__ = ["Fire", "Planner"]
