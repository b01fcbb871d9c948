using System.Reflection;
using System.Xml.Linq;

namespace Navarch.ApiServer.OpenApi;

/// <summary>
/// The field descriptions of the official model types, read from the XML documentation file that the
/// KubernetesClient package ships beside its assembly (copied to our output by the build), or, in the single-file
/// executable where nothing lies beside it, from the entry assembly's resource of that name.
/// </summary>
internal static class ModelDocs
{
    public static IReadOnlyDictionary<string, string> Load()
    {
        const string FileName = "KubernetesClient.xml";
        string path = Path.Combine(AppContext.BaseDirectory, FileName);
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        using Stream? stream = File.Exists(path) ? File.OpenRead(path) : Assembly.GetEntryAssembly()?.GetManifestResourceStream(FileName);
        if (stream is null)
        {
            return docs;
        }

        foreach (XElement member in XDocument.Load(stream).Descendants("member"))
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
