namespace Navarch.ApiServer.Admission;

/// <summary>Runs the mutating plugins, then (after the strategy's validation) the validating ones, in order.</summary>
internal sealed class AdmissionChain(IReadOnlyList<IAdmissionPlugin> plugins)
{
    public async ValueTask MutateAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        foreach (IAdmissionPlugin plugin in plugins.Where(p => p.Mutating))
        {
            await plugin.AdmitAsync(request, cancellationToken);
        }
    }

    public async ValueTask ValidateAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        foreach (IAdmissionPlugin plugin in plugins.Where(p => !p.Mutating))
        {
            await plugin.AdmitAsync(request, cancellationToken);
        }
    }
}
