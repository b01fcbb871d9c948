namespace Navarch.ApiServer.Tests;

[Trait("Category", "Unit")]
public sealed class PrivateFilesTests : IDisposable
{
    private const UnixFileMode Mode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode Mode755 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-private-");

    [Fact]
    public void A_file_is_written_0600_and_an_existing_open_file_is_tightened()
    {
        string path = Path.Combine(_dir.FullName, "admin.kubeconfig");
        File.WriteAllText(path, "old");
        File.SetUnixFileMode(path, Mode644);

        PrivateFiles.Write(path, "new");

        Assert.Equal(PrivateFiles.OwnerOnly, File.GetUnixFileMode(path));
        Assert.Equal("new", File.ReadAllText(path));
    }

    [Fact]
    public void A_mode_wider_than_the_umask_allows_is_set_as_given_as_write_kubeconfig_mode_asks()
    {
        string path = Path.Combine(_dir.FullName, "kubeconfig.yaml");

        PrivateFiles.Write(path, "x", Mode644);

        Assert.Equal(Mode644, File.GetUnixFileMode(path));
    }

    [Fact]
    public void Missing_parents_are_created_0700_too()
    {
        string leaf = Path.Combine(_dir.FullName, "agent", "etc", "cni", "net.d");

        PrivateFiles.CreateDirectory(leaf);

        foreach (string folder in new[] { "agent", "agent/etc", "agent/etc/cni", "agent/etc/cni/net.d" })
        {
            Assert.Equal(PrivateFiles.OwnerOnlyDirectory, File.GetUnixFileMode(Path.Combine(_dir.FullName, folder)));
        }
    }

    [Fact]
    public void A_tree_loses_group_and_other_bits_without_following_symbolic_links()
    {
        string tree = Path.Combine(_dir.FullName, "server");
        string nested = Path.Combine(tree, "db");
        Directory.CreateDirectory(nested);
        File.WriteAllText(Path.Combine(nested, "state.db"), "");
        DirectoryInfo outside = Directory.CreateTempSubdirectory("navarch-private-outside-");
        try
        {
            File.SetUnixFileMode(outside.FullName, Mode755);
            Directory.CreateSymbolicLink(Path.Combine(tree, "link"), outside.FullName);
            foreach (string path in new[] { tree, nested })
            {
                File.SetUnixFileMode(path, Mode755);
            }

            File.SetUnixFileMode(Path.Combine(nested, "state.db"), Mode644);

            PrivateFiles.RestrictTree(tree);

            Assert.Equal(PrivateFiles.OwnerOnlyDirectory, File.GetUnixFileMode(tree));
            Assert.Equal(PrivateFiles.OwnerOnlyDirectory, File.GetUnixFileMode(nested));
            Assert.Equal(PrivateFiles.OwnerOnly, File.GetUnixFileMode(Path.Combine(nested, "state.db")));
            Assert.Equal(Mode755, File.GetUnixFileMode(outside.FullName));
        }
        finally
        {
            outside.Delete(recursive: true);
        }
    }

    public void Dispose() => _dir.Delete(recursive: true);
}
