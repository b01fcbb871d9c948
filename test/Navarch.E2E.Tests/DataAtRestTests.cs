using System.Diagnostics;
using System.Text;

namespace Navarch.E2E.Tests;

/// <summary>
/// Data at rest with the real binary and kubectl: <c>navarch server --secrets-encryption</c> on a data dir an older
/// version left world-readable keeps everything private (0700/0600) and no other user reads the database or the
/// kubeconfig; Secrets created with kubectl are not in the database files in plain text; <c>navarch secrets-encrypt</c>
/// shows the status, rotates the keys and reencrypts.
/// </summary>
[Trait("Category", "Integration")]
public sealed class DataAtRestTests(DataAtRestTests.EncryptedServer server) : IClassFixture<DataAtRestTests.EncryptedServer>
{
    [Fact]
    public async Task Every_file_and_folder_of_the_data_dir_is_private_and_another_user_reads_none()
    {
        // Created after start too: the manifests folder, the kubeconfig, the encryption state.
        Kubectl.Result created = await server.KubectlAsync("create", "secret", "generic", "walk", "--from-literal=k=v");
        Assert.True(created.ExitCode == 0, created.Output);

        Assert.Empty(DataDirWalk.Loose(server.DataDir, new Dictionary<string, string>()));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(server.Kubeconfig));
        foreach (string path in new[] { Path.Combine(server.DataDir, "server", "db", "state.db"), server.Kubeconfig, Path.Combine(server.DataDir, "server", "cred", "encryption-config.json") })
        {
            (int exitCode, string stderr) = await AsNobodyAsync("cat", path);
            Assert.True(exitCode != 0 && stderr.Contains("Permission denied", StringComparison.Ordinal), $"nobody read {path}: {exitCode} {stderr}");
        }
    }

    [Fact]
    public async Task Secrets_from_kubectl_are_encrypted_in_the_database_and_secrets_encrypt_rotates_the_keys()
    {
        string value = "e2e-plaintext-" + Guid.NewGuid().ToString("N");
        Kubectl.Result created = await server.KubectlAsync("create", "secret", "generic", "db-password", $"--from-literal=password={value}");
        Assert.True(created.ExitCode == 0, created.Output);
        Assert.Equal(-1, DatabaseFiles().AsSpan().IndexOf(Encoding.UTF8.GetBytes(value)));
        Assert.Equal(-1, DatabaseFiles().AsSpan().IndexOf(Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(value)))));
        Assert.NotEqual(-1, DatabaseFiles().AsSpan().IndexOf("k8s:enc:aescbc:v1:aescbckey:"u8));

        Kubectl.Result status = await SecretsEncryptAsync("status");
        Assert.Contains("Encryption Status: Enabled", status.Stdout, StringComparison.Ordinal);
        Assert.Matches("Current Rotation Stage: (start|reencrypt_finished)", status.Stdout);
        Assert.Matches(@"Active\s+Key Type\s+Name", status.Stdout);

        Kubectl.Result rotated = await SecretsEncryptAsync("rotate-keys");
        Assert.Contains("keys rotated; reencryption started", rotated.Stdout, StringComparison.Ordinal);
        await Eventually(async () => (await SecretsEncryptAsync("status")).Stdout.Contains("Current Rotation Stage: reencrypt_finished", StringComparison.Ordinal), "the reencryption finishes");
        status = await SecretsEncryptAsync("status");
        string newKey = System.Text.RegularExpressions.Regex.Match(status.Stdout, @"\*\s+AES-CBC\s+(aescbckey-\S+)").Groups[1].Value;
        Assert.False(string.IsNullOrEmpty(newKey), status.Stdout);
        Assert.NotEqual(-1, DatabaseFiles().AsSpan().IndexOf(Encoding.UTF8.GetBytes($"k8s:enc:aescbc:v1:{newKey}:")));

        Kubectl.Result read = await server.KubectlAsync("get", "secret", "db-password", "-o", "jsonpath={.data.password}");
        Assert.Equal(value, Encoding.UTF8.GetString(Convert.FromBase64String(read.Stdout)));

        Kubectl.Result reencrypt = await SecretsEncryptAsync("reencrypt", "--force");
        Assert.True(reencrypt.ExitCode == 0, reencrypt.Output);
        await Eventually(async () => (await SecretsEncryptAsync("status")).Stdout.Contains("Current Rotation Stage: reencrypt_finished", StringComparison.Ordinal), "the forced reencryption finishes");

        Kubectl.Result refused = await SecretsEncryptAsync("rotate");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("navarch secrets-encrypt rotate: rotate is not allowed in stage reencrypt_finished: it follows prepare", refused.Stderr, StringComparison.Ordinal);
    }

    private Task<Kubectl.Result> SecretsEncryptAsync(params string[] args) =>
        NavarchCli.RunAsync(["secrets-encrypt", .. args, "--data-dir", server.DataDir]);

    private byte[] DatabaseFiles()
    {
        var bytes = new List<byte>();
        foreach (string path in new[] { "state.db", "state.db-wal", "state.db-shm" }.Select(f => Path.Combine(server.DataDir, "server", "db", f)).Where(File.Exists))
        {
            using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var copy = new MemoryStream();
            file.CopyTo(copy);
            bytes.AddRange(copy.ToArray());
        }

        return [.. bytes];
    }

    private static async Task<(int ExitCode, string Stderr)> AsNobodyAsync(params string[] command)
    {
        var start = new ProcessStartInfo("setpriv") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { "--reuid=65534", "--regid=65534", "--clear-groups" }.Concat(command))
        {
            start.ArgumentList.Add(arg);
        }

        using Process process = Process.Start(start)!;
        string stderr = await process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stderr);
    }

    /// <summary>
    /// <c>navarch server --secrets-encryption</c> on a data dir left world-readable (0755 folders, 0644 files, as an
    /// older Navarch wrote them), which the server must tighten at start.
    /// </summary>
    public sealed class EncryptedServer() : NavarchServer(["--secrets-encryption"])
    {
        protected override void PrepareDataDir(string dataDir)
        {
            const UnixFileMode open = (UnixFileMode)0b111_101_101, readable = (UnixFileMode)0b110_100_100;
            File.SetUnixFileMode(dataDir, open);
            foreach (string dir in new[] { "server", "server/db", "server/tls", "server/cred", "server/manifests" })
            {
                Directory.CreateDirectory(Path.Combine(dataDir, dir));
                File.SetUnixFileMode(Path.Combine(dataDir, dir), open);
            }

            foreach (string file in new[] { "server/db/state.db", "server/manifests/README", "kubeconfig.yaml" })
            {
                File.WriteAllText(Path.Combine(dataDir, file), "");
                File.SetUnixFileMode(Path.Combine(dataDir, file), readable);
            }
        }
    }
}
