
namespace LossLandscape.Data;

/// <summary>Which labels of CIFAR-100 to use.</summary>
public enum Cifar100Labels
{
    /// <summary>The 100 fine classes.</summary>
    Fine,
    /// <summary>The 20 coarse superclasses.</summary>
    Coarse,
}
