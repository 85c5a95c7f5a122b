"""Feature pipelines: dataset specs, loaders, point-in-time labels, the leak guard and the lead encoder."""
