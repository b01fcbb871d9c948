// Navarch runs on Linux only: it drives cgroups, iptables and containerd.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
