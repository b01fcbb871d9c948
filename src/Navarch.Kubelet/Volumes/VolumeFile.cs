namespace Navarch.Kubelet.Volumes;

/// <summary>One file of an API-data volume's payload: its bytes and its permission bits (e.g. 0644).</summary>
internal sealed record VolumeFile(byte[] Data, int Mode);
