using System.CommandLine;
using Navarch.Kubelet.Containerd;
using Navarch.Kubelet.Cri.V1;
using Navarch.Kubelet.Images;
using Navarch.Kubelet.Runtime;

namespace Navarch.Commands;

/// <summary><c>navarch images build|import|ls</c>: images without a registry.</summary>
internal static class ImagesCommand
{
    public static Command Create()
    {
        var images = new Command("images", "Build, import and list container images (no registry needed).");
        images.Subcommands.Add(Build());
        images.Subcommands.Add(BuildBuiltin());
        images.Subcommands.Add(Import());
        images.Subcommands.Add(List());
        return images;
    }

    private static Option<string> Endpoint() => new("--container-runtime-endpoint", "--address")
    {
        Description = "The containerd socket (default: the agent's under --data-dir)",
        DefaultValueFactory = _ => "",
    };

    private static Option<string> DataDir() => new("--data-dir", "-d") { Description = "The agent's data dir", DefaultValueFactory = _ => "/var/lib/navarch" };

    private static string Socket(ParseResult parse, Option<string> endpoint, Option<string> dataDir) =>
        parse.GetValue(endpoint) is { Length: > 0 } e ? e : new ContainerdConfig(parse.GetValue(dataDir)!).Socket;

    private static Command Build()
    {
        var dir = new Option<string>("--dir") { Description = "Folder that becomes the image's root filesystem", Required = true };
        var name = new Option<string>("--name") { Description = "Image reference, e.g. docker.io/library/busybox:1.35", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "The OCI image-layout tarball to write", Required = true };
        var entrypoint = new Option<string[]>("--entrypoint") { Description = "Entrypoint words (repeat the option)", AllowMultipleArgumentsPerToken = true };
        var cmd = new Option<string[]>("--cmd") { Description = "Default argument words (repeat the option)", AllowMultipleArgumentsPerToken = true };
        var env = new Option<string[]>("--env") { Description = "NAME=VALUE (repeat the option)" };
        var workdir = new Option<string>("--workdir") { Description = "Working directory", DefaultValueFactory = _ => "" };
        var command = new Command("build", "Build a one-layer OCI image from a folder.") { dir, name, output, entrypoint, cmd, env, workdir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var spec = new OciImageSpec
            {
                Name = parse.GetValue(name)!,
                RootDirectory = parse.GetValue(dir)!,
                Entrypoint = parse.GetValue(entrypoint) ?? [],
                Cmd = parse.GetValue(cmd) ?? [],
                Env = parse.GetValue(env) ?? [],
                WorkingDir = parse.GetValue(workdir)!,
            };
            string digest = await OciImageBuilder.BuildFileAsync(spec, parse.GetValue(output)!, cancellationToken);
            Console.Out.WriteLine($"{spec.Name} {digest}");
            return 0;
        });
        return command;
    }

    private static Command BuildBuiltin()
    {
        var output = new Option<string>("--output", "-o") { Description = "Folder for pause.tar and busybox.tar (an agent imports <data-dir>/agent/images at start)", DefaultValueFactory = _ => "/var/lib/navarch/agent/images" };
        var command = new Command("build-builtin", $"Build the two built-in images from this host's binaries: {BuiltinImages.PauseName} (catatonit -P) and {BuiltinImages.BusyboxName} (busybox-static, every applet).") { output };
        command.SetAction(async (parse, cancellationToken) =>
        {
            string folder = Directory.CreateDirectory(parse.GetValue(output)!).FullName;
            try
            {
                string pause = await BuiltinImages.BuildPauseAsync(Path.Combine(folder, "pause.tar"), cancellationToken: cancellationToken);
                Console.Out.WriteLine($"{BuiltinImages.PauseName} {pause}");
                string busybox = await BuiltinImages.BuildBusyboxAsync(Path.Combine(folder, "busybox.tar"), cancellationToken: cancellationToken);
                Console.Out.WriteLine($"{BuiltinImages.BusyboxName} {busybox}");
                return 0;
            }
            catch (FileNotFoundException e)
            {
                await Console.Error.WriteLineAsync($"navarch images build-builtin: {e.Message}");
                return 1;
            }
        });
        return command;
    }

    private static Command Import()
    {
        var file = new Argument<string[]>("file") { Description = "OCI image-layout tarballs", Arity = ArgumentArity.OneOrMore };
        Option<string> endpoint = Endpoint();
        Option<string> dataDir = DataDir();
        var command = new Command("import", "Import image tarballs into containerd (ctr, namespace k8s.io).") { file, endpoint, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            foreach (string f in parse.GetValue(file)!)
            {
                await ImageImporter.ImportAsync(Socket(parse, endpoint, dataDir), f, cancellationToken);
                Console.Out.WriteLine($"imported {f}");
            }

            return 0;
        });
        return command;
    }

    private static Command List()
    {
        Option<string> endpoint = Endpoint();
        Option<string> dataDir = DataDir();
        var command = new Command("ls", "List the images the CRI runtime has.") { endpoint, dataDir };
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var cri = new CriConnection(Socket(parse, endpoint, dataDir));
            IReadOnlyList<Image> list = await cri.Images.ListImagesAsync(null, cancellationToken);
            Console.Out.WriteLine($"{"IMAGE",-50} {"ID",-20} SIZE");
            foreach (Image image in list)
            {
                string id = image.Id.StartsWith("sha256:", StringComparison.Ordinal) ? image.Id[7..19] : image.Id;
                foreach (string tag in image.RepoTags.DefaultIfEmpty("<none>"))
                {
                    Console.Out.WriteLine($"{tag,-50} {id,-20} {image.Size}");
                }
            }

            return 0;
        });
        return command;
    }
}
