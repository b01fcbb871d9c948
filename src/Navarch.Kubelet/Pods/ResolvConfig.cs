namespace Navarch.Kubelet.Pods;

/// <summary>The three parts of a resolv.conf: nameservers, search domains and options.</summary>
internal sealed record ResolvConfig(IReadOnlyList<string> Nameservers, IReadOnlyList<string> Searches, IReadOnlyList<string> Options)
{
    public static readonly ResolvConfig Empty = new([], [], []);

    /// <summary>Reads a resolv.conf file (empty when it does not exist).</summary>
    public static ResolvConfig Read(string path) => File.Exists(path) ? Parse(File.ReadLines(path)) : Empty;

    /// <summary>
    /// Parses resolv.conf lines as the kubelet does: every <c>nameserver</c>; the last <c>search</c> (or <c>domain</c>)
    /// line wins, as in the resolver; every <c>options</c> entry.
    /// </summary>
    public static ResolvConfig Parse(IEnumerable<string> lines)
    {
        var servers = new List<string>();
        var searches = new List<string>();
        var options = new List<string>();
        foreach (string line in lines)
        {
            string[] f = line.Split('#', ';')[0].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 2)
            {
                continue;
            }

            switch (f[0])
            {
                case "nameserver":
                    servers.Add(f[1]);
                    break;
                case "search":
                case "domain":
                    searches = f.Skip(1).Select(s => s.TrimEnd('.')).Where(s => s.Length > 0).ToList();
                    break;
                case "options":
                    options.AddRange(f.Skip(1));
                    break;
            }
        }

        return new ResolvConfig(servers, searches, options);
    }
}
