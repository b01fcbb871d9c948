using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary>How <c>navarch killall</c> tells the data dir of a running server or agent: flag, then config file.</summary>
[Trait("Category", "Unit")]
public sealed class ProcessDataDirTests : IDisposable
{
    private readonly string _config = Path.GetTempFileName();

    public ProcessDataDirTests() => File.WriteAllText(_config, "data-dir: /var/lib/from-config\nbridge-name: x0\n");

    [Fact]
    public void The_flag_wins_over_the_config_file()
    {
        Assert.Equal("/srv/flag", ProcessDataDir.Of(Environment.ProcessId, ["navarch", "server", "--config", _config, "--data-dir", "/srv/flag"]));
        Assert.Equal("/srv/flag", ProcessDataDir.Of(Environment.ProcessId, ["navarch", "agent", "--data-dir=/srv/flag"]));
    }

    [Fact]
    public void Without_the_flag_the_config_file_named_on_the_command_line_says()
    {
        Assert.Equal("/var/lib/from-config", ProcessDataDir.Of(Environment.ProcessId, ["/usr/local/bin/navarch", "server", "--config", _config]));
        Assert.Equal("/var/lib/from-config", ProcessDataDir.Of(Environment.ProcessId, ["navarch", "server", $"--config={_config}"]));
    }

    [Fact]
    public void A_config_file_without_data_dir_means_the_default()
    {
        File.WriteAllText(_config, "node-name: a\n");
        Assert.Null(ProcessDataDir.Of(Environment.ProcessId, ["navarch", "server", "-c", _config]));
    }

    public void Dispose() => File.Delete(_config);
}
