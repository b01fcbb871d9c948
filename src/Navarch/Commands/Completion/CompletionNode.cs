using System.CommandLine;

namespace Navarch.Commands.Completion;

/// <summary>
/// One command of the tree as the completion scripts see it: its path from the root (<c>navarch/images/build</c>),
/// its subcommands, the option names it accepts (its own and its ancestors' recursive ones), hidden ones left out, and
/// the values its arguments complete to (e.g. the shells of <c>completion</c>).
/// </summary>
internal sealed record CompletionNode(string Path, IReadOnlyList<Command> Subcommands, IReadOnlyList<Option> Options, IReadOnlyList<string> Values)
{
    /// <summary>Every command of the tree under <paramref name="root"/>, the root first.</summary>
    public static IReadOnlyList<CompletionNode> Walk(RootCommand root)
    {
        var nodes = new List<CompletionNode>();
        Visit(root, "navarch", [], nodes);
        return nodes;
    }

    /// <summary>The words that complete here: the subcommands, the argument values, then every name of every option.</summary>
    public IEnumerable<string> Words => Subcommands.Select(c => c.Name).Concat(Values).Concat(Options.SelectMany(o => new[] { o.Name }.Concat(o.Aliases)));

    private static void Visit(Command command, string path, IReadOnlyList<Option> inherited, List<CompletionNode> nodes)
    {
        List<Option> options = [.. inherited, .. command.Options.Where(o => !o.Hidden && !inherited.Contains(o))];
        List<Command> subcommands = command.Subcommands.Where(c => !c.Hidden).ToList();
        List<string> values = command.Arguments.Where(a => !a.Hidden)
            .SelectMany(a => a.GetCompletions(System.CommandLine.Completions.CompletionContext.Empty).Select(c => c.Label)).ToList();
        nodes.Add(new CompletionNode(path, subcommands, options, values));
        List<Option> passedOn = options.Where(o => o.Recursive).ToList();
        foreach (Command sub in subcommands)
        {
            Visit(sub, path + "/" + sub.Name, passedOn, nodes);
        }
    }
}
