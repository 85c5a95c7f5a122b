"""Demo drivers: the last step of `make run` (`smoke`) and the feedback loop end to end (`loop`)."""
