namespace Navarch.Controllers;

/// <summary>A control loop: event handlers enqueue keys, workers sync them until cancelled.</summary>
public interface IController : IDisposable
{
    /// <summary>The controller's name, as in kube-controller-manager's --controllers.</summary>
    string Name { get; }

    /// <summary>Runs <paramref name="workers"/> workers until <paramref name="cancellationToken"/> is cancelled, then drains.</summary>
    Task RunAsync(int workers, CancellationToken cancellationToken);
}
