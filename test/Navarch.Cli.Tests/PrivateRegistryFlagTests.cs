using System.CommandLine;
using Navarch.Commands;

namespace Navarch.Cli.Tests;

/// <summary><c>--private-registry</c>: a malformed registries.yaml stops <c>navarch server</c>, <c>agent</c> and <c>kubelet</c> with exit code 1 before anything is written.</summary>
[Collection("Console")]
[Trait("Category", "Unit")]
public sealed class PrivateRegistryFlagTests
{
    [Theory]
    [InlineData("server")]
    [InlineData("agent")]
    [InlineData("kubelet")]
    public async Task A_malformed_file_is_exit_code_1_with_nothing_started(string name)
    {
        string dir = Path.Combine(Path.GetTempPath(), "nvpr-" + Guid.NewGuid().ToString("N")[..6]);
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "registries.yaml");
            await File.WriteAllTextAsync(file, "mirrors:\n  docker.io:\n    endpoint: \"http://m:5000\"\n");
            Command command = name == "server" ? ServerCommand.Create(name, "test", withControllers: true) : KubeletCommand.Create(name, "test", withProxy: name == "agent");
            string[] args = name == "server"
                ? ["--private-registry", file, "--data-dir", Path.Combine(dir, "data")]
                : ["--private-registry", file, "--data-dir", Path.Combine(dir, "data"), "--kubeconfig", Path.Combine(dir, "kubeconfig")];
            TextWriter error = Console.Error;
            using var captured = new StringWriter();
            Console.SetError(captured);
            try
            {
                Assert.Equal(1, await command.Parse(args).InvokeAsync());
            }
            finally
            {
                Console.SetError(error);
            }

            Assert.Equal($"navarch {name}: --private-registry {file}: line 3, column 15: a value of the wrong kind here (endpoint is a list of URLs, rewrite a map, insecure_skip_verify true or false)", captured.ToString().TrimEnd());
            Assert.False(Directory.Exists(Path.Combine(dir, "data")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
