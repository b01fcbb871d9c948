using System.CommandLine;
using System.Text;

namespace Navarch.Commands.Completion;

/// <summary>
/// Shell completion scripts generated from the command tree, so they never drift from it. Each walks the words typed
/// so far, descending into a subcommand only when the word names one at that level, and offers that command's
/// subcommands and options. zsh runs the bash script through bashcompinit (as kubectl's and many others do).
/// </summary>
internal static class CompletionScripts
{
    /// <summary>The shells there are scripts for.</summary>
    public static IReadOnlyList<string> Shells { get; } = ["bash", "zsh", "fish"];

    /// <summary>The script for <paramref name="shell"/>, or null when there is none.</summary>
    public static string? For(string shell, RootCommand root) => shell switch
    {
        "bash" => Bash(root),
        "zsh" => Zsh(root),
        "fish" => Fish(root),
        _ => null,
    };

    /// <summary>A bash script defining <c>_navarch</c> and registering it for <c>navarch</c>.</summary>
    public static string Bash(RootCommand root)
    {
        IReadOnlyList<CompletionNode> nodes = CompletionNode.Walk(root);
        var script = new StringBuilder();
        script.Append("# bash completion for navarch (navarch completion bash); load it with: source <(navarch completion bash)\n");
        script.Append("_navarch() {\n");
        script.Append("    local cur=\"${COMP_WORDS[COMP_CWORD]}\" path=navarch i words\n");
        script.Append("    for ((i = 1; i < COMP_CWORD; i++)); do\n");
        script.Append("        case \"$path/${COMP_WORDS[i]}\" in\n");
        script.Append("            ").Append(string.Join('|', nodes.Skip(1).Select(n => n.Path))).Append(") path=\"$path/${COMP_WORDS[i]}\" ;;\n");
        script.Append("        esac\n");
        script.Append("    done\n");
        script.Append("    case \"$path\" in\n");
        foreach (CompletionNode node in nodes)
        {
            script.Append("        ").Append(node.Path).Append(") words=\"").Append(string.Join(' ', node.Words)).Append("\" ;;\n");
        }

        script.Append("    esac\n");
        script.Append("    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n");
        script.Append("}\n");
        script.Append("complete -o default -F _navarch navarch\n");
        return script.ToString();
    }

    /// <summary>A zsh script: the bash one, through zsh's bashcompinit.</summary>
    public static string Zsh(RootCommand root) =>
        "#compdef navarch\n# zsh completion for navarch (navarch completion zsh); load it with: source <(navarch completion zsh)\n" +
        "autoload -U +X bashcompinit && bashcompinit\n" + Bash(root);

    /// <summary>A fish script: a function telling the command path typed so far, and a completion per subcommand and option.</summary>
    public static string Fish(RootCommand root)
    {
        IReadOnlyList<CompletionNode> nodes = CompletionNode.Walk(root);
        var script = new StringBuilder();
        script.Append("# fish completion for navarch (navarch completion fish > ~/.config/fish/completions/navarch.fish)\n");
        script.Append("function __navarch_path\n");
        script.Append("    set -l path navarch\n");
        script.Append("    for word in (commandline -opc)[2..-1]\n");
        script.Append("        switch \"$path/$word\"\n");
        script.Append("            case ").Append(string.Join(' ', nodes.Skip(1).Select(n => n.Path))).Append('\n');
        script.Append("                set path \"$path/$word\"\n");
        script.Append("        end\n");
        script.Append("    end\n");
        script.Append("    echo $path\n");
        script.Append("end\n");
        script.Append("complete -c navarch -f\n");
        foreach (CompletionNode node in nodes)
        {
            string condition = $"-n 'test (__navarch_path) = {node.Path}'";
            foreach (Command sub in node.Subcommands)
            {
                script.Append($"complete -c navarch {condition} -a {sub.Name} -d {FishQuote(sub.Description)}\n");
            }

            foreach (string value in node.Values)
            {
                script.Append($"complete -c navarch {condition} -a {FishQuote(value)}\n");
            }

            foreach (Option option in node.Options)
            {
                script.Append($"complete -c navarch {condition}");
                foreach (string name in new[] { option.Name }.Concat(option.Aliases))
                {
                    script.Append(name.StartsWith("--", StringComparison.Ordinal) ? $" -l {name[2..]}" : $" -s {name.TrimStart('-')}");
                }

                script.Append($" -d {FishQuote(option.Description)}\n");
            }
        }

        return script.ToString();
    }

    /// <summary>The first sentence of a description, single-quoted for fish.</summary>
    private static string FishQuote(string? description)
    {
        string text = (description ?? "").Split(". ")[0].TrimEnd('.');
        return "'" + text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal) + "'";
    }
}
