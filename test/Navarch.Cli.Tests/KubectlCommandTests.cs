using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary>
/// Which kubeconfig `navarch kubectl` hands kubectl, against files under a temporary root: the order is tested here, on
/// paths of the test's own, so no kubeconfig left on this machine (by scripts/up.sh, say) changes the outcome.
/// </summary>
[Trait("Category", "Unit")]
public sealed class KubectlCommandTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("navarch-kubectl-");

    public void Dispose() => _root.Delete(recursive: true);

    private string DefaultKubeconfig => Path.Combine(_root.FullName, "etc", "navarch.yaml");

    private string DataDir => Path.Combine(_root.FullName, "data");

    private string AdminKubeconfig => Path.Combine(DataDir, "server", "cred", "admin.kubeconfig");

    private static void Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
    }

    private string? Find(Dictionary<string, string> environment) => KubectlCommand.FindKubeconfig(environment, DefaultKubeconfig);

    [Fact]
    public void Without_KUBECONFIG_the_written_kubeconfig_wins_over_the_data_dirs_admin_kubeconfig()
    {
        var environment = new Dictionary<string, string> { ["NAVARCH_DATA_DIR"] = DataDir };
        Assert.Null(Find(environment));

        Touch(AdminKubeconfig);
        Assert.Equal(AdminKubeconfig, Find(environment));
        Assert.Equal(AdminKubeconfig, Find(new Dictionary<string, string> { ["KUBECONFIG"] = "", ["NAVARCH_DATA_DIR"] = DataDir }));

        Touch(DefaultKubeconfig);
        Assert.Equal(DefaultKubeconfig, Find(environment));
    }

    [Fact]
    public void A_set_KUBECONFIG_is_left_alone()
    {
        Touch(DefaultKubeconfig);
        Touch(AdminKubeconfig);
        Assert.Null(Find(new Dictionary<string, string> { ["KUBECONFIG"] = "/somewhere/else", ["NAVARCH_DATA_DIR"] = DataDir }));
    }
}
