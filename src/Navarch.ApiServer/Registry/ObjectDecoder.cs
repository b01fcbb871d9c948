using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Navarch.Api;

namespace Navarch.ApiServer.Registry;

/// <summary>
/// Decodes a request body as an object of <paramref name="definition"/>'s kind under the request's field validation
/// (Strict, Warn or Ignore), the way the HTTP layer was asked to.
/// </summary>
internal delegate IKubernetesObject<V1ObjectMeta> ObjectDecoder(ResourceDefinition definition, JsonNode body);
