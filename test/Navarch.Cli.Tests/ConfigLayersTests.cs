using System.CommandLine;
using Navarch.Config;

namespace Navarch.Cli.Tests;

/// <summary>Settings precedence: flag, then NAVARCH_* environment variable, then the config file, then the default.</summary>
[Trait("Category", "Unit")]
public sealed class ConfigLayersTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("navarch-config-");
    private readonly Option<string> _dataDir = new("--data-dir", "-d") { DefaultValueFactory = _ => "/var/lib/navarch" };
    private readonly Option<int> _port = new("--https-listen-port") { DefaultValueFactory = _ => 6443 };
    private readonly Option<bool> _disableAgent = new("--disable-agent");
    private readonly Option<string[]> _labels = new("--node-label");
    private readonly Option<string?> _schedulerConfig = new("--config");

    public void Dispose() => _dir.Delete(recursive: true);

    public static TheoryData<string, string[], Dictionary<string, string>, string, string> DataDirCases => new()
    {
        { "default only", [], new(), "", "/var/lib/navarch" },
        { "file over default", [], new(), "data-dir: /from/file", "/from/file" },
        { "env over file", [], new() { ["NAVARCH_DATA_DIR"] = "/from/env" }, "data-dir: /from/file", "/from/env" },
        { "flag over env and file", ["--data-dir", "/from/flag"], new() { ["NAVARCH_DATA_DIR"] = "/from/env" }, "data-dir: /from/file", "/from/flag" },
        { "flag alias counts as the flag", ["-d", "/from/alias"], new(), "data-dir: /from/file", "/from/alias" },
        { "key with dashes like k3s's examples", [], new(), "--data-dir: /dashed", "/dashed" },
        { "unknown keys and variables ignored", [], new() { ["NAVARCH_NOT_A_FLAG"] = "x" }, "not-a-flag: 1\nserver: https://x:6443", "/var/lib/navarch" },
    };

    [Theory]
    [MemberData(nameof(DataDirCases))]
    public void Precedence_is_flag_then_environment_then_file_then_default(string name, string[] args, Dictionary<string, string> environment, string file, string expected)
    {
        string path = WriteFile(file);
        ParseResult parse = Parse(["server", "--config", path, .. args], environment);
        Assert.True(parse.Errors.Count == 0, $"{name}: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        Assert.Equal(expected, parse.GetValue(_dataDir));
    }

    [Fact]
    public void Typed_values_bools_and_lists_come_from_the_file()
    {
        string path = WriteFile("https-listen-port: 7443\ndisable-agent: true\nnode-label:\n  - a=1\n  - b=2\n");
        ParseResult parse = Parse(["server", "--config", path], new());
        Assert.Empty(parse.Errors);
        Assert.Equal(7443, parse.GetValue(_port));
        Assert.True(parse.GetValue(_disableAgent));
        Assert.Equal(["a=1", "b=2"], parse.GetValue(_labels)!);
    }

    [Fact]
    public void Environment_false_overrides_a_file_true()
    {
        string path = WriteFile("disable-agent: true\n");
        ParseResult parse = Parse(["server", "--config", path], new() { ["NAVARCH_DISABLE_AGENT"] = "false" });
        Assert.Empty(parse.Errors);
        Assert.False(parse.GetValue(_disableAgent));
    }

    [Fact]
    public void A_bad_value_in_the_file_is_a_parse_error_naming_the_flag()
    {
        string path = WriteFile("https-listen-port: not-a-number\n");
        ParseResult parse = Parse(["server", "--config", path], new());
        Assert.Contains(parse.Errors, e => e.Message.Contains("--https-listen-port", StringComparison.Ordinal) || e.Message.Contains("not-a-number", StringComparison.Ordinal));
    }

    [Fact]
    public void The_default_file_is_read_when_present_and_the_environment_names_another()
    {
        string defaultFile = WriteFile("data-dir: /from/default-file", "default.yaml");
        Assert.Equal("/from/default-file", Parse(["server"], new(), defaultFile).GetValue(_dataDir));
        string other = WriteFile("data-dir: /from/env-named-file", "other.yaml");
        Assert.Equal("/from/env-named-file", Parse(["server"], new() { [ConfigLayers.ConfigFileVariable] = other }, defaultFile).GetValue(_dataDir));
        Assert.Equal("/var/lib/navarch", Parse(["server"], new(), Path.Combine(_dir.FullName, "absent.yaml")).GetValue(_dataDir));
    }

    [Fact]
    public void A_named_config_file_that_is_missing_or_invalid_is_an_error()
    {
        var missing = Assert.Throws<InvalidDataException>(() => Parse(["server", "--config", Path.Combine(_dir.FullName, "nope.yaml")], new()));
        Assert.Contains("does not exist", missing.Message, StringComparison.Ordinal);
        string bad = WriteFile("data-dir: [unclosed", "bad.yaml");
        var invalid = Assert.Throws<InvalidDataException>(() => Parse(["server", "--config", bad], new()));
        Assert.Contains("bad.yaml", invalid.Message, StringComparison.Ordinal);
        string list = WriteFile("- just\n- a list\n", "list.yaml");
        Assert.Throws<InvalidDataException>(() => Parse(["server", "--config", list], new()));
    }

    [Fact]
    public void A_command_with_its_own_config_flag_keeps_it_and_reads_settings_from_the_environment_named_file()
    {
        string settings = WriteFile("data-dir: /for/scheduler", "settings.yaml");
        ParseResult parse = Parse(["scheduler", "--config", "/sched.yaml"], new() { [ConfigLayers.ConfigFileVariable] = settings });
        Assert.Empty(parse.Errors);
        Assert.Equal("/sched.yaml", parse.GetValue(_schedulerConfig));
        Assert.Equal("/for/scheduler", parse.GetValue<string>("--data-dir"));
    }

    [Fact]
    public void Recursive_root_options_are_layered_for_every_command()
    {
        var format = new Option<string>("--log-format") { DefaultValueFactory = _ => "console", Recursive = true };
        RootCommand root = Root();
        root.Options.Add(format);
        ParseResult parse = ConfigLayers.Parse(root, ["server"], new Dictionary<string, string> { ["NAVARCH_LOG_FORMAT"] = "json" }, Path.Combine(_dir.FullName, "absent.yaml"));
        Assert.Equal("json", parse.GetValue(format));
    }

    [Theory]
    [InlineData("--data-dir", "NAVARCH_DATA_DIR")]
    [InlineData("--node-name", "NAVARCH_NODE_NAME")]
    [InlineData("--insecure-skip-ca-verify", "NAVARCH_INSECURE_SKIP_CA_VERIFY")]
    public void Environment_names_are_upper_snake_case(string flag, string variable) =>
        Assert.Equal(variable, ConfigLayers.EnvironmentName(flag));

    private ParseResult Parse(string[] args, Dictionary<string, string> environment, string? defaultFile = null) =>
        ConfigLayers.Parse(Root(), args, environment, defaultFile ?? Path.Combine(_dir.FullName, "absent.yaml"));

    private RootCommand Root()
    {
        var server = new Command("server") { _dataDir, _port, _disableAgent, _labels };
        server.SetAction(_ => 0);
        var scheduler = new Command("scheduler") { _schedulerConfig, new Option<string>("--data-dir") };
        scheduler.SetAction(_ => 0);
        var root = new RootCommand { server, scheduler };
        ConfigLayers.AddConfigOptions(root);
        return root;
    }

    private string WriteFile(string text, string name = "config.yaml")
    {
        string path = Path.Combine(_dir.FullName, name);
        File.WriteAllText(path, text);
        return path;
    }
}
