using k8s.Models;

namespace Navarch.Controllers.VolumeExpand;

/// <summary>What ControllerExpandVolume answered: the volume's new capacity, and whether the node must still grow the filesystem.</summary>
public sealed record VolumeResizeResult(ResourceQuantity Capacity, bool NodeExpansionRequired);
