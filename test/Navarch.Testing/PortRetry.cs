namespace Navarch.Testing;

/// <summary>
/// Starting a process that takes its ports on its command line or in a config file (etcd, a registry, navarch):
/// the ports are picked with <see cref="FreePort"/>, which releases them before the process binds, so another process
/// may take one meanwhile. Such a start fails with "address already in use" and is tried again on new ports.
/// </summary>
public static class PortRetry
{
    /// <summary>
    /// Runs <paramref name="start"/> (which picks its ports and cleans up after itself when it fails) until it
    /// succeeds, or fails for another reason than <paramref name="portTaken"/>, or <paramref name="attempts"/> are used.
    /// </summary>
    public static async Task<T> StartAsync<T>(Func<Task<T>> start, Func<Exception, bool> portTaken, int attempts = 5)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return await start();
            }
            catch (Exception e) when (attempt < attempts && portTaken(e))
            {
                // Another process took a port between the pick and the bind: pick again.
            }
        }
    }

    /// <summary>Whether a process's output says a port it was given was taken.</summary>
    public static bool SaysAddressInUse(string output) => output.Contains("address already in use", StringComparison.OrdinalIgnoreCase);
}
