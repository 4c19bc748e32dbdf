using LossLandscape.Tests.Cli;

namespace LossLandscape.Tests.Data;

[Collection("Console")]
public class DataCliTests
{
    [Fact]
    public void DataInfo_FashionMnist_ReportsCountsAndHistogram()
    {
        var (code, output, err) = CliTests.Run("data", "info", "fashion-mnist", "--offline");
        code.Should().Be(0, err);
        output.Should().Contain("train: 60000 examples, shape [60000, 1, 28, 28]").And.Contain("test: 10000 examples")
            .And.Contain("/usr/share/datasets/fashion-mnist (system data folder)").And.Contain("Ankle boot").And.Contain("6000").And.Contain("1000");
    }

    [Fact]
    public void DataInfo_DataDirAndSynthetic()
    {
        var dir = TestUtil.TempDir();
        DataFileWriters.WriteSmallIdxSet(Path.Combine(dir, "mnist"));
        var (code, output, _) = CliTests.Run("data", "info", "mnist", "--data-dir", dir, "--offline");
        code.Should().Be(0);
        output.Should().Contain("train: 6 examples, shape [6, 1, 5, 4]").And.Contain("(--data-dir)");
        var (c2, o2, _) = CliTests.Run("data", "info", "synthetic:blobs:k=3,n=30,ntest=9");
        c2.Should().Be(0);
        o2.Should().Contain("train: 30 examples, shape [30, 2]").And.Contain("test: 9 examples");
    }

    [Fact]
    public void DataInfo_BadInput_ExitsTwoWithTheMessage()
    {
        var (code, _, err) = CliTests.Run("data", "info", "synthetic:blobs:k=0");
        code.Should().Be(2);
        err.Should().Contain("'k' (classes) must be at least 2").And.NotContain("   at ");
        var dir = TestUtil.TempDir();
        var (c2, _, e2) = CliTests.Run("data", "info", "cifar10", "--data-dir", dir, "--offline");
        c2.Should().Be(2);
        e2.Should().Contain("Data set 'cifar10' was not found").And.Contain(dir);
        // The library's terms come out as the command line's flags.
        e2.Should().Contain("(--data-dir)").And.Contain("--offline or").And.Contain("pass --data-dir DIR").And.NotContain("DataCatalogOptions");
    }

    [Fact]
    public void LibraryTerms_BecomeFlags_AndEveryTermIsStillUsedByTheLibrary()
    {
        LossLandscape.Cli.LibraryTerms.Translate("Give exactly one of the number of steps and the number of epochs (TrainingOptions.Steps or TrainingOptions.Epochs).")
            .Should().Be("Give exactly one of the number of steps and the number of epochs (--steps N or --epochs E).");
        var opts = new LossLandscape.Training.TrainingOptions { Steps = 1, Epochs = 1 };
        var act = () => opts.Validate(10);
        var message = act.Should().Throw<LossLandscapeException>().Which.Message;
        LossLandscape.Cli.LibraryTerms.Translate(message).Should().Contain("--steps N or --epochs E").And.NotContain("TrainingOptions");
    }
}
