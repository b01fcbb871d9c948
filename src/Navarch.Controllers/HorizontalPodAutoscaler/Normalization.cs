namespace Navarch.Controllers.HorizontalPodAutoscaler;

/// <summary>
/// The normalized replica count and the two conditions it explains: AbleToScale's reason and message (stabilized or
/// ready for a new scale) and ScalingLimited's (limited, with its reason, or within range).
/// </summary>
public readonly record struct Normalization(int Replicas, string AbleToScaleReason, string AbleToScaleMessage, bool Limited, string LimitedReason, string LimitedMessage);
