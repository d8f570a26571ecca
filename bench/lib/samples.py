"""Measured values, kept per (metric, scenario, tracer) in run order."""


class Samples:
    def __init__(self, data=None):
        # {metric: {scenario: {tracer: [values]}}}
        self.data = data or {}

    def add(self, metric, scenario, tracer, value):
        if value is None:
            return
        (self.data.setdefault(metric, {}).setdefault(scenario, {})
         .setdefault(tracer, []).append(value))

    def get(self, metric, scenario, tracer):
        return self.data.get(metric, {}).get(scenario, {}).get(tracer, [])

    def to_json(self):
        return self.data
