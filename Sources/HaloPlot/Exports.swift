// The HaloPlot layer builds on HaloCore's shared vocabulary (errors with locations, units, delay tables).
@_exported import HaloCore
