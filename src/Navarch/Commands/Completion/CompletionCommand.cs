using System.CommandLine;

namespace Navarch.Commands.Completion;

/// <summary><c>navarch completion bash|zsh|fish</c>: prints the shell's completion script for the whole command tree.</summary>
internal static class CompletionCommand
{
    public static Command Create(RootCommand root)
    {
        var shell = new Argument<string>("shell") { Description = string.Join(", ", CompletionScripts.Shells) };
        shell.CompletionSources.Add([.. CompletionScripts.Shells]);
        var command = new Command("completion", "Print the shell completion script for bash, zsh or fish (e.g. source <(navarch completion bash)).") { shell };
        command.SetAction(parse => Run(parse.GetValue(shell)!, root, Console.Out, Console.Error));
        return command;
    }

    /// <summary>Writes the script for <paramref name="shell"/>; an unknown shell is a one-line error and exit code 1.</summary>
    public static int Run(string shell, RootCommand root, TextWriter output, TextWriter error)
    {
        if (CompletionScripts.For(shell, root) is not { } script)
        {
            error.WriteLine($"navarch completion: unknown shell \"{shell}\" (one of {string.Join(", ", CompletionScripts.Shells)})");
            return 1;
        }

        output.Write(script);
        return 0;
    }
}
