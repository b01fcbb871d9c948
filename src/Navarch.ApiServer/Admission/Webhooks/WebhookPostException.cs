namespace Navarch.ApiServer.Admission.Webhooks;

/// <summary>A webhook could not be reached or answered with an error status; the message is Go's client's (<c>Post "url": ...</c>).</summary>
internal sealed class WebhookPostException(string message, Exception? inner = null) : Exception(message, inner);
