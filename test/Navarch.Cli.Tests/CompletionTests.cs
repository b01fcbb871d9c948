using System.Diagnostics;
using Navarch.Commands.Completion;

namespace Navarch.Cli.Tests;

/// <summary>
/// <c>navarch completion</c>: the scripts come from the command tree. bash, given the script, completes subcommands
/// and options at each level (driven as bash's completion does, through COMP_WORDS and the registered function); an
/// unknown shell is a one-line error and exit code 1.
/// </summary>
[Trait("Category", "Unit")]
public sealed class CompletionTests
{
    [Fact]
    public async Task Bash_script_registers_a_function_that_completes_subcommands_and_options()
    {
        string script = Script("bash");
        Assert.Contains("_navarch() {", script, StringComparison.Ordinal);

        Assert.Equal("complete -o default -F _navarch navarch", await BashAsync(script, "complete -p navarch"));
        Assert.Equal("images", await CompleteAsync(script, "navarch", "ima"));
        Assert.Equal("build build-builtin", await CompleteAsync(script, "navarch", "images", "bu"));
        Assert.Equal("--data-dir", await CompleteAsync(script, "navarch", "server", "--data-d"));
        // A recursive option of the root is offered under a subcommand; a flag's value does not move the path.
        Assert.Equal("--debug", await CompleteAsync(script, "navarch", "--debug", "images", "ls", "--deb"));
        Assert.Equal("bash", await CompleteAsync(script, "navarch", "completion", "--config", "x", "ba"));
    }

    [Fact]
    public void Zsh_and_fish_scripts_name_every_top_level_command()
    {
        string zsh = Script("zsh");
        Assert.StartsWith("#compdef navarch", zsh, StringComparison.Ordinal);
        Assert.Contains("bashcompinit", zsh, StringComparison.Ordinal);
        string fish = Script("fish");
        foreach (string command in (string[])["server", "agent", "killall", "completion", "images"])
        {
            Assert.Contains($"complete -c navarch -n 'test (__navarch_path) = navarch' -a {command} ", fish, StringComparison.Ordinal);
        }

        Assert.Contains("complete -c navarch -n 'test (__navarch_path) = navarch/server' -l data-dir -s d ", fish, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_shell_is_a_one_line_error_and_exit_code_1()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(1, CompletionCommand.Run("tcsh", Program.CreateRoot(), output, error));
        Assert.Equal("", output.ToString());
        Assert.Equal("navarch completion: unknown shell \"tcsh\" (one of bash, zsh, fish)" + Environment.NewLine, error.ToString());
    }

    private static string Script(string shell)
    {
        var output = new StringWriter();
        Assert.Equal(0, CompletionCommand.Run(shell, Program.CreateRoot(), output, TextWriter.Null));
        return output.ToString();
    }

    /// <summary>What bash completes for the last of <paramref name="words"/>, as it would at a prompt.</summary>
    private static Task<string> CompleteAsync(string script, params string[] words) =>
        BashAsync(script, $"COMP_WORDS=({string.Join(' ', words.Select(w => $"'{w}'"))}); COMP_CWORD={words.Length - 1}; _navarch; echo \"${{COMPREPLY[*]}}\"");

    private static async Task<string> BashAsync(string script, string command)
    {
        string file = Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, script);
            var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add($"source '{file}' && {command}");
            using Process bash = Process.Start(start)!;
            Task<string> error = bash.StandardError.ReadToEndAsync();
            string output = await bash.StandardOutput.ReadToEndAsync();
            await bash.WaitForExitAsync();
            Assert.True(bash.ExitCode == 0, await error);
            return output.Trim();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
