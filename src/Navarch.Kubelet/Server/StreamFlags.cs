using Microsoft.AspNetCore.Http;

namespace Navarch.Kubelet.Server;

/// <summary>Which streams a client asked for; the API server's names (stdin, stdout, stderr) and the kubelet's own (input, output, error).</summary>
internal readonly record struct StreamFlags(bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    public static StreamFlags Parse(IQueryCollection query)
    {
        var flags = new StreamFlags(
            ContainerLogOptions.Bool(query, "stdin") || ContainerLogOptions.Bool(query, "input"),
            ContainerLogOptions.Bool(query, "stdout") || ContainerLogOptions.Bool(query, "output"),
            ContainerLogOptions.Bool(query, "stderr") || ContainerLogOptions.Bool(query, "error"),
            ContainerLogOptions.Bool(query, "tty"));
        return flags.Stdin || flags.Stdout || flags.Stderr
            ? flags
            : throw KubeletRequestException.BadRequest("you must specify at least 1 of stdin, stdout, stderr");
    }
}
