using System.Diagnostics;

namespace Navarch.E2E.Tests;

/// <summary>A DNS lookup from this machine, the node itself (not a pod): busybox's nslookup.</summary>
internal static class NodeLookup
{
    /// <summary>Looks <paramref name="name"/> up at <paramref name="server"/>; fails the test unless it is answered, else its output.</summary>
    public static async Task<string> RunAsync(string name, string server)
    {
        var info = new ProcessStartInfo("busybox") { RedirectStandardOutput = true, RedirectStandardError = true, ArgumentList = { "nslookup", name, server } };
        using Process lookup = Process.Start(info)!;
        Task<string> stderr = lookup.StandardError.ReadToEndAsync();
        string stdout = await lookup.StandardOutput.ReadToEndAsync();
        await lookup.WaitForExitAsync();
        Assert.True(lookup.ExitCode == 0, $"nslookup {name} {server} on the node: {stdout}{await stderr}");
        return stdout;
    }
}
