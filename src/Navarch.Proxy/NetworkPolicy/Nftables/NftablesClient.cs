using Navarch.Proxy.Host;

namespace Navarch.Proxy.NetworkPolicy.Nftables;

/// <summary>The controller's use of <c>nft</c>: one transaction per sync from standard input, and removing its table.</summary>
internal sealed class NftablesClient(CommandRunner runner)
{
    /// <summary>Applies <paramref name="script"/> as one transaction; throws <see cref="NftablesException"/> when nft refuses it.</summary>
    public async Task ApplyAsync(string script, CancellationToken cancellationToken)
    {
        CommandResult result = await runner.RunAsync("nft", ["-f", "-"], script, cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            throw new NftablesException($"nft -f failed ({result.ExitCode}): {result.Stderr.Trim()}");
        }
    }

    /// <summary>Removes table <paramref name="table"/>; returns false when there was none.</summary>
    public async Task<bool> DeleteTableAsync(string table, CancellationToken cancellationToken)
    {
        CommandResult list = await runner.RunAsync("nft", ["list", "table", NftablesRenderer.Family, table], cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!list.Success)
        {
            return false;
        }

        await ApplyAsync(NftablesRenderer.Delete(table), cancellationToken).ConfigureAwait(false);
        return true;
    }
}
