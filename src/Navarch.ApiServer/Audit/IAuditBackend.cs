namespace Navarch.ApiServer.Audit;

/// <summary>Where serialized audit events go (k8s.io/apiserver's audit <c>Backend</c>).</summary>
internal interface IAuditBackend : IAsyncDisposable
{
    /// <summary>
    /// Hands one event (a JSON line) over without waiting for it to be written; false when it was dropped. Called on the
    /// request path, so it must never block.
    /// </summary>
    bool ProcessEvent(byte[] line);
}
