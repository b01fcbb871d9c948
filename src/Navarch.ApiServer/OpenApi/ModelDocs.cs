using System.Xml.Linq;

namespace Navarch.ApiServer.OpenApi;

/// <summary>
/// The field descriptions of the official model types, read from the XML documentation file that the
/// KubernetesClient package ships beside its assembly (copied to our output by the build).
/// </summary>
internal static class ModelDocs
{
    public static IReadOnlyDictionary<string, string> Load()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "KubernetesClient.xml");
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!File.Exists(path))
        {
            return docs;
        }

        foreach (XElement member in XDocument.Load(path).Descendants("member"))
        {
            string? name = member.Attribute("name")?.Value;
            string? summary = member.Element("summary")?.Value;
            if (name is not null && !string.IsNullOrWhiteSpace(summary))
            {
                docs[name] = string.Join(' ', summary.Split((char[])['\n', '\r'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
            }
        }

        return docs;
    }
}
