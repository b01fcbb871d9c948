using System.Text.Json.Nodes;

namespace Navarch.ApiServer.Registry;

/// <summary>A patch as sent: its content type (json-patch, merge-patch or strategic-merge-patch) and document.</summary>
internal sealed record PatchBody(string Type, JsonNode Patch);
