namespace Navarch.Client.Informers;

/// <summary>What a factory needs of an informer, whatever its type.</summary>
public interface IInformer
{
    /// <summary>Lists and watches until cancelled.</summary>
    Task RunAsync(CancellationToken cancellationToken);

    /// <summary>Completes once the first list is in the cache.</summary>
    Task WaitForSyncAsync(CancellationToken cancellationToken = default);
}
