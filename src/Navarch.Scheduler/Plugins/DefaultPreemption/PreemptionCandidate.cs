using Navarch.Scheduler.Framework;

namespace Navarch.Scheduler.Plugins.DefaultPreemption;

/// <summary>A node where evicting <see cref="Victims"/> makes the pod fit, and how many PDBs that would break.</summary>
internal sealed record PreemptionCandidate(string NodeName, List<PodInfo> Victims, int PdbViolations);
