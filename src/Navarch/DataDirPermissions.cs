using Navarch.ApiServer;

namespace Navarch;

/// <summary>
/// The data dir is private to the user Navarch runs as (k3s keeps its server dir 0700 and its credentials 0600): the
/// dir itself and <c>server/</c> with everything in it (the SQLite files, tls/, cred/, the join token, manifests/) are
/// 0700/0600, and so are <c>agent/</c> and the files Navarch writes there (kubeconfigs, certificates and keys,
/// containerd's config and log, the CNI config, image tarballs). Both run at every start, so a data dir left with
/// looser modes by an older version is tightened; files created later get their private mode when they are created.
/// </summary>
internal static class DataDirPermissions
{
    /// <summary>The data dir and its <c>server/</c> tree, before the store opens.</summary>
    public static void SecureServer(string dataDir)
    {
        PrivateFiles.CreateDirectory(dataDir);
        string server = Path.Combine(dataDir, "server");
        PrivateFiles.CreateDirectory(server);
        PrivateFiles.CreateDirectory(Path.Combine(server, "db"));
        PrivateFiles.CreateDirectory(Path.Combine(server, "manifests"));
        PrivateFiles.RestrictTree(server);
    }

    /// <summary>
    /// The data dir and <c>agent/</c>: the folder itself, its own files, containerd's folder with its config and log,
    /// the CNI config and the image tarballs. What containerd and the kubelet keep below (image layers, container root
    /// file systems, pod volumes) keeps the modes its contents need; <c>agent/</c> being 0700 hides it from other users.
    /// </summary>
    public static void SecureAgent(string dataDir)
    {
        PrivateFiles.CreateDirectory(dataDir);
        string agent = Path.Combine(dataDir, "agent");
        PrivateFiles.CreateDirectory(agent);
        foreach (string file in Directory.EnumerateFiles(agent))
        {
            PrivateFiles.Restrict(file);
        }

        string containerd = Path.Combine(agent, "containerd");
        PrivateFiles.CreateDirectory(containerd);
        foreach (string file in Directory.EnumerateFiles(containerd))
        {
            PrivateFiles.Restrict(file);
        }

        // The kubelet writes the CNI config below etc/ later; its folders are made private here first.
        PrivateFiles.CreateDirectory(Path.Combine(agent, "etc", "cni", "net.d"));
        foreach (string tree in new[] { "etc", "images" })
        {
            PrivateFiles.CreateDirectory(Path.Combine(agent, tree));
            PrivateFiles.RestrictTree(Path.Combine(agent, tree));
        }

        // The kubelet's per-pod folders (volumes, termination messages) and the IPAM plugin's reservations keep the
        // modes their containers and plugins need, behind 0700 folders of their own.
        foreach (string folder in new[] { "pods", "pod-state", "cni" })
        {
            PrivateFiles.CreateDirectory(Path.Combine(agent, folder));
        }
    }
}
