using Navarch.ApiServer.Join;

namespace Navarch.ApiServer.Tests;

/// <summary>The K10 token format, bootstrap token shapes and expirations.</summary>
[Trait("Category", "Unit")]
public sealed class JoinTokenTests
{
    private static readonly string Hash = new('a', 64);

    [Fact]
    public void A_server_token_splits_into_ca_hash_and_credentials()
    {
        JoinToken token = JoinToken.Parse($"K10{Hash}::server:abc123");
        Assert.Equal(Hash, token.CaHash);
        Assert.Equal("server:abc123", token.Credentials);
        Assert.Null(token.Bootstrap);
        Assert.Equal($"K10{Hash}::server:abc123", token.ToString());
    }

    [Fact]
    public void A_k10_bootstrap_token_exposes_id_and_secret()
    {
        JoinToken token = JoinToken.Parse($"K10{Hash.ToUpperInvariant()}::abcdef.0123456789abcdef\n");
        Assert.Equal(Hash, token.CaHash);
        Assert.Equal(("abcdef", "0123456789abcdef"), token.Bootstrap);
    }

    [Theory]
    [InlineData("abcdef.0123456789abcdef", true)]
    [InlineData("ABCDEF.0123456789abcdef", false)]
    [InlineData("abcde.0123456789abcdef", false)]
    [InlineData("abcdef.0123456789abcde", false)]
    [InlineData("just-a-secret", false)]
    public void Bare_tokens_carry_no_hash(string text, bool bootstrap)
    {
        JoinToken token = JoinToken.Parse(text);
        Assert.Null(token.CaHash);
        Assert.Equal(bootstrap, token.Bootstrap is not null);
        Assert.Equal(bootstrap, JoinToken.IsBootstrapToken(text));
    }

    [Fact]
    public void A_k10_token_with_a_malformed_hash_is_refused() =>
        Assert.Throws<FormatException>(() => JoinToken.Parse("K10nothex::server:x"));

    [Fact]
    public void The_hash_is_sha256_hex_of_the_bundle() =>
        Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", JoinToken.HashOf("hello"u8));

    [Fact]
    public void The_server_token_is_generated_once_and_kept()
    {
        DirectoryInfo dir = Directory.CreateTempSubdirectory("navarch-token-");
        try
        {
            ServerToken first = ServerToken.LoadOrCreate(dir.FullName, Hash, null);
            ServerToken again = ServerToken.LoadOrCreate(dir.FullName, Hash, null);
            Assert.Equal(first.Token, again.Token);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(first.FilePath));
            Assert.True(again.Matches(first.Token.Credentials));
            Assert.True(again.Matches(first.Token.Credentials["server:".Length..]));
            Assert.False(again.Matches("server:wrong"));

            ServerToken configured = ServerToken.LoadOrCreate(dir.FullName, Hash, "my-secret");
            Assert.Equal($"K10{Hash}::server:my-secret", File.ReadAllText(configured.FilePath).Trim());
            Assert.Throws<InvalidDataException>(() => ServerToken.LoadOrCreate(dir.FullName, Hash, $"K10{new string('b', 64)}::server:x"));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("2026-01-01T00:00:00Z", true)]
    [InlineData("2026-01-01T00:00:01Z", false)]
    [InlineData("garbage", true)]
    public void Expiration_is_checked_against_now(string expiration, bool expired) =>
        Assert.Equal(expired, BootstrapTokenSecret.IsExpired(expiration, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero)));
}
