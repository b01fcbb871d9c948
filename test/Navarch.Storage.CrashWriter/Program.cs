using System.Text;
using Navarch.Storage.Sqlite;

// The child of the SQLite crash test: writes as fast as it can with several writers and prints each key only
// after the store acknowledged it. The test kills this process with SIGKILL mid-load and checks every printed key.
string path = args[0];
int writers = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 16;
await using SqliteStore store = await SqliteStore.OpenAsync(new SqliteStoreOptions { Path = path });
var output = new StreamWriter(Console.OpenStandardOutput(), Encoding.UTF8) { AutoFlush = false };
var gate = new Lock();
Console.Error.WriteLine("ready");
await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
{
    for (long i = 0; ; i++)
    {
        string key = $"/crash/{w}/{i}";
        await store.CreateAsync(key, Encoding.UTF8.GetBytes($"value-{w}-{i}"));
        lock (gate)
        {
            output.WriteLine(key);
            output.Flush();
        }
    }
})));
