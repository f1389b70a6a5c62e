// Lanes.swift — the SIMD layout shared by all fields: lanes across chains.
//
// A field holding C chains stores, for every link, one SIMD8<Double> per block of 8 chains: chain c lives in
// block c / 8, lane c % 8. Shifts on the lattice stay plain index arithmetic and a block is the natural batch
// of the networks. The last block is padded when C is not a multiple of 8; padded lanes carry harmless values
// (cold links, zero momenta) and are never reported. This layout is private to the field types.

public typealias Lanes = SIMD8<Double>
public typealias LaneMask = SIMDMask<SIMD8<Int64>>

public enum ChainLayout {
    /// Number of chains per block (SIMD width in Doubles).
    public static let lanes = 8
    /// Number of blocks needed for `chains` chains.
    public static func blocks(forChains chains: Int) -> Int { (chains + lanes - 1) / lanes }
}
