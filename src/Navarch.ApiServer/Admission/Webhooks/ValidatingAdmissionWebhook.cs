namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>
/// Kubernetes' ValidatingAdmissionWebhook plugin: every matching validating webhook is called at once (after the
/// strategy's validation and the built-in validating plugins); the first denial, in webhook order, refuses the request.
/// </summary>
internal sealed class ValidatingAdmissionWebhook(WebhookSource source, WebhookDispatcher dispatcher) : IAdmissionPlugin
{
    public string Name => "ValidatingAdmissionWebhook";

    public bool Mutating => false;

    public async ValueTask AdmitAsync(AdmissionRequest request, CancellationToken cancellationToken)
    {
        IReadOnlyList<Webhook> webhooks = await source.ValidatingAsync(cancellationToken);
        if (webhooks.Count == 0)
        {
            return;
        }

        var calls = new List<(Webhook Webhook, Task<WebhookResponse?> Call)>();
        foreach (Webhook webhook in webhooks)
        {
            if (await dispatcher.MatchAsync(webhook, request, cancellationToken) is { } resource)
            {
                calls.Add((webhook, Task.Run(() => dispatcher.CallAsync(webhook, request, resource, "validating", cancellationToken), cancellationToken)));
            }
        }

        try
        {
            await Task.WhenAll(calls.Select(c => c.Call));
        }
        catch
        {
            // Each call's outcome is read below, in webhook order.
        }

        foreach ((Webhook webhook, Task<WebhookResponse?> call) in calls)
        {
            WebhookResponse? response = await call;
            if (response is null)
            {
                continue;
            }

            WebhookDispatcher.Record(webhook, response, request);
            if (!response.Allowed)
            {
                throw WebhookDispatcher.Denied(webhook, request, response.Status);
            }
        }
    }
}
