namespace Navarch.E2E.Tests.HighAvailability;

/// <summary>
/// Issue 21: the kubectl behaviour tests that run against one server (<see cref="KubectlTests"/>) run against three on
/// an embedded etcd, each kubectl call through the next server (a write through one is read through another).
/// </summary>
[Trait("Category", "Integration")]
[Collection(LoopbackEtcdCollection.Name)]
public sealed class KubectlThreeServerTests(LoopbackServerTrio servers) : KubectlBehaviour(servers), IClassFixture<LoopbackServerTrio>;
