using k8s.Models;
using Navarch.Api.Apiextensions;
using Navarch.ApiServer.Admission.Webhooks;

namespace Navarch.ApiServer.Apiextensions.Conversion;

/// <summary>
/// apiextensions-apiserver's CRConverterFactory: a CRD's conversion strategy — <c>None</c>, or its webhook called
/// through the API server's webhook client (its Services reached as admission webhooks' are).
/// </summary>
internal sealed class CustomResourceConversions(WebhookClient client)
{
    /// <summary>The conversion of <paramref name="crd"/>'s objects between its versions.</summary>
    public ICustomResourceConversion For(V1CustomResourceDefinition crd) =>
        CustomResourceDefinitions.ConvertsByWebhook(crd) && crd.Spec.Conversion.Webhook?.ClientConfig is not null
            ? new ConversionWebhook(client, crd)
            : NoneConversion.Instance;
}
