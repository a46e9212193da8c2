"""A PlanFlow node pack: cold spots of a target as a new ROI (see `nodes`)."""
