namespace Navarch.Server;

/// <summary>
/// The identity this server's controller manager and scheduler campaign under: <c>&lt;node name&gt;_&lt;id&gt;</c>, the id
/// made once and kept in the data dir. Kubernetes components take a new one per start (host name and a fresh UUID), so a
/// restarted component waits out its former self's lease (15 s); with the same identity across restarts the official
/// client's elector sees itself as the holder and renews at once, so a restarted single server's controllers start
/// without that wait. Two servers never share a data dir, so never an identity.
/// </summary>
internal static class LeaderElectionIdentity
{
    /// <summary>Reads (or makes) the id under <c>server/</c> in <paramref name="dataDir"/>; returns the identity.</summary>
    public static string LoadOrCreate(string dataDir, string nodeName)
    {
        string path = Path.Combine(dataDir, "server", "leader-election-id");
        string id = File.Exists(path) ? File.ReadAllText(path).Trim() : "";
        if (id.Length == 0)
        {
            id = Guid.NewGuid().ToString("N");
            ApiServer.PrivateFiles.CreateDirectory(Path.GetDirectoryName(path)!);
            ApiServer.PrivateFiles.Write(path, id);
        }

        return $"{nodeName}_{id}";
    }
}
