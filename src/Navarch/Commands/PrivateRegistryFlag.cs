using System.CommandLine;
using Navarch.Kubelet.Containerd.Registries;

namespace Navarch.Commands;

/// <summary>
/// <c>--private-registry</c> (k3s's flag): the registries.yaml of the agent's containerd. Read before anything starts,
/// so that a malformed file stops the start with a one-line error and exit code 1 rather than a half-written config.
/// </summary>
internal sealed class PrivateRegistryFlag
{
    private readonly Option<string> _option = new("--private-registry")
    {
        Description = "Registry mirrors, TLS and credentials of the agent's containerd (k3s's registries.yaml); none when the file is missing",
        DefaultValueFactory = _ => PrivateRegistries.DefaultPath,
    };

    public void AddTo(Command command) => command.Options.Add(_option);

    /// <summary>The parsed file, or null after writing the one-line error.</summary>
    public async Task<PrivateRegistries?> LoadAsync(ParseResult parse, string command)
    {
        try
        {
            return PrivateRegistries.Load(parse.GetValue(_option)!);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            await Console.Error.WriteLineAsync($"navarch {command}: --private-registry {e.Message}");
            return null;
        }
    }
}
