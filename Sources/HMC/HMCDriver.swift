// HMCDriver.swift — Hybrid Monte Carlo over many chains, generic over the theory.
//
// Each trajectory: momentum refresh → save links → integrate (leapfrog or Omelyan, LatticeCore) →
// normalise links → measure → Metropolis per chain → restore rejected chains. Threads own contiguous ranges of
// blocks for the whole trajectory; all randomness is per chain, so every result is bit-identical for any
// thread count (REFERENCE §3.5). The driver caches each chain's action and observables, so a trajectory costs
// exactly one measurement pass.
import LatticeCore
import Foundation

/// Parameters of the molecular-dynamics part of a trajectory.
public struct MDParameters: Sendable, Codable, Equatable {
    public var integrator: IntegratorKind
    public var stepSize: Double
    public var steps: Int
    public init(integrator: IntegratorKind, stepSize: Double, steps: Int) {
        self.integrator = integrator; self.stepSize = stepSize; self.steps = steps
    }
    /// Trajectory length τ = steps · ε.
    public var trajectoryLength: Double { stepSize * Double(steps) }
    public var forceEvaluations: Int { integrator.forceEvaluations(steps: steps) }
}

/// What one trajectory produced, per chain.
public struct TrajectoryRecord: Sendable {
    /// 1 if accepted, 0 if rejected.
    public var accepted: [Double]
    /// ΔH = H(proposal) − H(start).
    public var deltaH: [Double]
    /// observables[k][c]: observable k (see `HMCEnsemble.observableNames`) of chain c after the trajectory.
    public var observables: [[Double]]
    /// log|det J| of the proposal per chain (learned samplers; nil for HMC, whose map preserves volume).
    public var logdet: [Double]? = nil

    public init(accepted: [Double], deltaH: [Double], observables: [[Double]], logdet: [Double]? = nil) {
        self.accepted = accepted; self.deltaH = deltaH; self.observables = observables; self.logdet = logdet
    }

    public var acceptanceRate: Double { accepted.reduce(0, +) / Double(max(accepted.count, 1)) }
}

/// Anything that advances all chains by one Markov step and reports per-chain results.
public protocol TrajectorySource: AnyObject {
    func nextTrajectory() throws -> TrajectoryRecord
    /// The MD step size (adapted by --tune during thermalization; ignored by samplers without one).
    var stepSize: Double { get set }
    /// Force evaluations per trajectory (for cost accounting).
    var forceEvaluations: Int { get }
}

public final class HMCDriver<E: HMCEnsemble>: TrajectorySource, @unchecked Sendable {
    public let ensemble: E
    public var parameters: MDParameters
    public var threads: Int
    private let observableCount: Int
    // Per block: cached action and observables of the current links.
    private var action: [Lanes]
    private var observables: [Lanes]
    private var cacheValid = false

    public init(ensemble: E, parameters: MDParameters, threads: Int = 1) {
        self.ensemble = ensemble
        self.parameters = parameters
        self.threads = threads
        self.observableCount = ensemble.observableNames.count
        self.action = Array(repeating: Lanes(), count: ensemble.blockCount)
        self.observables = Array(repeating: Lanes(), count: ensemble.blockCount * max(observableCount, 1))
    }

    public func nextTrajectory() throws -> TrajectoryRecord { trajectory() }
    public var stepSize: Double {
        get { parameters.stepSize }
        set { parameters.stepSize = newValue }
    }
    public var forceEvaluations: Int { parameters.forceEvaluations }

    /// Call after the links were changed from outside (hot start, loading a checkpoint).
    public func invalidateCache() { cacheValid = false }

    /// Measures all chains' current links (fills the cache) and returns the observables per chain.
    public func measureCurrent() -> [[Double]] {
        refreshCache()
        return extractObservables()
    }

    private func refreshCache() {
        guard !cacheValid else { return }
        let k = observableCount
        action.withUnsafeMutableBufferPointer { act in
            observables.withUnsafeMutableBufferPointer { obs in
                let actP = act.baseAddress!, obsP = obs.baseAddress!
                nonisolated(unsafe) let a = actP, o = obsP
                BlockParallel.forEach(blocks: ensemble.blockCount, threads: threads) { b in
                    var block = self.ensemble.block(b)
                    a[b] = block.measure(into: o + b * k)
                }
            }
        }
        cacheValid = true
    }

    /// Runs one HMC trajectory on every chain.
    public func trajectory() -> TrajectoryRecord {
        refreshCache()
        let chains = ensemble.chains
        let k = observableCount
        let md = parameters
        var accepted = [Double](repeating: 0, count: chains)
        var deltaH = [Double](repeating: 0, count: chains)
        accepted.withUnsafeMutableBufferPointer { accB in
            deltaH.withUnsafeMutableBufferPointer { dhB in
                action.withUnsafeMutableBufferPointer { actB in
                    observables.withUnsafeMutableBufferPointer { obsB in
                        nonisolated(unsafe) let acc = accB.baseAddress!, dh = dhB.baseAddress!
                        nonisolated(unsafe) let act = actB.baseAddress!, obs = obsB.baseAddress!
                        BlockParallel.forEach(blocks: ensemble.blockCount, threads: threads) { b in
                            var block = self.ensemble.block(b)
                            HMCDriver.trajectory(block: &block, md: md, action: act + b, observables: obs + b * k,
                                                 observableCount: k, accepted: acc + b * ChainLayout.lanes,
                                                 deltaH: dh + b * ChainLayout.lanes)
                        }
                    }
                }
            }
        }
        return TrajectoryRecord(accepted: accepted, deltaH: deltaH, observables: extractObservables())
    }

    @inline(__always)
    private static func trajectory(block: inout E.Block, md: MDParameters, action: UnsafeMutablePointer<Lanes>,
                                   observables: UnsafeMutablePointer<Lanes>, observableCount k: Int,
                                   accepted: UnsafeMutablePointer<Double>, deltaH: UnsafeMutablePointer<Double>) {
        block.refreshMomenta()
        let h0 = block.kineticEnergy() + action.pointee
        block.saveLinks()
        md.integrator.integrate(&block, stepSize: md.stepSize, steps: md.steps)
        block.normalizeLinks()
        let newObs = UnsafeMutablePointer<Lanes>.allocate(capacity: max(k, 1))
        defer { newObs.deallocate() }
        let s1 = block.measure(into: newObs)
        let dH = block.kineticEnergy() + s1 - h0
        var reject = LaneMask()
        for lane in 0..<block.activeLanes {
            let u = block.uniform(lane: lane)
            let ok = u < Foundation.exp(-dH[lane]) // NaN ΔH → rejected
            reject[lane] = !ok
            accepted[lane] = ok ? 1 : 0
            deltaH[lane] = dH[lane]
        }
        for lane in block.activeLanes..<ChainLayout.lanes { reject[lane] = true }
        block.restoreLinks(where: reject)
        action.pointee = action.pointee.replacing(with: s1, where: .!reject)
        for j in 0..<k {
            observables[j] = observables[j].replacing(with: newObs[j], where: .!reject)
        }
    }

    private func extractObservables() -> [[Double]] {
        let k = observableCount
        let chains = ensemble.chains
        var out = [[Double]](repeating: [Double](repeating: 0, count: chains), count: k)
        for j in 0..<k {
            for c in 0..<chains {
                out[j][c] = observables[(c / ChainLayout.lanes) * k + j][c % ChainLayout.lanes]
            }
        }
        return out
    }
}

