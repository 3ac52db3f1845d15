// `import Halo`: the whole library in one import, for users of the `Halo` product.
// Each layer stays its own module (see README "Repository layout"); this umbrella only re-exports them,
// lowest layer first.

@_exported import HaloCore
@_exported import HaloLiberty
@_exported import HaloNetlist
@_exported import HaloTiming
@_exported import HaloPower
@_exported import HaloCharacterization
@_exported import HaloQuantization
@_exported import HaloGenerators
@_exported import HaloPlot
@_exported import HaloAccelerator
