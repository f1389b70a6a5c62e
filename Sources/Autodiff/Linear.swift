// Linear.swift — matrix products through OpenBLAS `cblas_dgemm` and the fused affine map of dense layers.
//
// Conventions:
//   * Matrices are row-major 2-D tensors. `matmul(a, b, transposeA:, transposeB:)` is op(a)·op(b).
//   * Dense layers act on rows: y = x·W + b with x [batch, in], W [in, out], b [out] (the batch is the chain
//     dimension; lattice fields become rows with `Var.chainRows()`, U1Ops.swift).
//   * VJPs: for C = A·B, dA = G·Bᵀ, dB = Aᵀ·G (with the transposes folded into the GEMM flags, no copies).
//   * OpenBLAS's own thread count is left at its default unless `BLAS.setThreads` is called (REFERENCE §8:
//     the project gives each thread whole chain blocks, so 1 is usually right).
import CBLAS

/// OpenBLAS settings.
public enum BLAS {
    /// Sets the number of OpenBLAS threads (process-wide).
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(max(1, n))) }
    /// The current number of OpenBLAS threads.
    public static var threads: Int { Int(openblas_get_num_threads()) }
}

/// C[m×n] = alpha·op(A)·op(B) + beta·C, row-major; A is m×k (k×m if transposed), B is k×n (n×k if transposed).
@inline(__always)
func gemm(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int,
          _ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ beta: Double, _ c: UnsafeMutablePointer<Double>) {
    guard m > 0, n > 0 else { return }
    if k == 0 {
        if beta == 0 { c.update(repeating: 0, count: m * n) }
        return
    }
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), 1.0,
                a, Int32(ta ? m : k), b, Int32(tb ? k : n), beta, c, Int32(n))
}

func gemmArrays(_ ta: Bool, _ tb: Bool, _ m: Int, _ n: Int, _ k: Int, _ a: [Double], _ b: [Double]) -> [Double] {
    [Double](unsafeUninitializedCapacity: m * n) { c, done in
        a.withUnsafeBufferPointer { pa in b.withUnsafeBufferPointer { pb in
            gemm(ta, tb, m, n, k, pa.baseAddress!, pb.baseAddress!, 0, c.baseAddress!)
        } }
        done = m * n
    }
}

extension Var {
    /// op(self)·op(b) for 2-D operands.
    public func matmul(_ b: Var, transposeSelf ta: Bool = false, transposeOther tb: Bool = false) throws -> Var {
        let a = self
        try tape.check("matmul", a, b)
        guard a.shape.count == 2, b.shape.count == 2 else {
            throw AutodiffError.shapes("matmul", a.shape, b.shape, detail: "both operands must be 2-D")
        }
        let m = ta ? a.shape[1] : a.shape[0], k = ta ? a.shape[0] : a.shape[1]
        let k2 = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1]
        guard k == k2 else {
            throw AutodiffError.shapes("matmul", a.shape, b.shape,
                                       detail: "inner dimensions \(k) and \(k2) differ (transposes \(ta), \(tb))")
        }
        let av = a.scalars, bv = b.scalars
        let y = gemmArrays(ta, tb, m, n, k, av, bv)
        return tape.record(Tensor(unchecked: [m, n], y), [a, b], saved: a.value.bytes + b.value.bytes) { g, acc in
            let gs = g.scalars
            if a.requiresGrad {
                // dA' = G·op(B)ᵀ; if A was transposed, dA = op(B)·Gᵀ.
                let d = ta ? gemmArrays(tb, true, k, m, n, bv, gs) : gemmArrays(false, !tb, m, k, n, gs, bv)
                acc.add(a, Tensor(unchecked: a.shape, d))
            }
            if b.requiresGrad {
                // dB' = op(A)ᵀ·G; if B was transposed, dB = Gᵀ·op(A).
                let d = tb ? gemmArrays(true, ta, n, k, m, gs, av) : gemmArrays(!ta, false, k, n, m, av, gs)
                acc.add(b, Tensor(unchecked: b.shape, d))
            }
        }
    }

    /// x·W + b for x [batch, in], W [in, out], b [out] (one node; bias broadcast over rows).
    public func affine(_ w: Var, _ b: Var) throws -> Var {
        let x = self
        try tape.check("affine", x, w, b)
        guard x.shape.count == 2, w.shape.count == 2, x.shape[1] == w.shape[0], b.value.count == w.shape[1],
              b.shape.count <= 2, b.shape.last == w.shape[1] else {
            throw AutodiffError.shapes("affine", x.shape, w.shape, b.shape,
                                       detail: "expected x [batch, in], W [in, out], b [out]")
        }
        let m = x.shape[0], k = x.shape[1], n = w.shape[1]
        let xv = x.scalars, wv = w.scalars, bv = b.scalars
        let y = [Double](unsafeUninitializedCapacity: m * n) { c, done in
            bv.withUnsafeBufferPointer { pb in
                for i in 0..<m { (c.baseAddress! + i * n).update(from: pb.baseAddress!, count: n) }
            }
            xv.withUnsafeBufferPointer { px in wv.withUnsafeBufferPointer { pw in
                gemm(false, false, m, n, k, px.baseAddress!, pw.baseAddress!, 1, c.baseAddress!)
            } }
            done = m * n
        }
        return tape.record(Tensor(unchecked: [m, n], y), [x, w, b], saved: x.value.bytes + w.value.bytes) { g, acc in
            let gs = g.scalars
            if x.requiresGrad { acc.add(x, Tensor(unchecked: x.shape, gemmArrays(false, true, m, k, n, gs, wv))) }
            if w.requiresGrad { acc.add(w, Tensor(unchecked: w.shape, gemmArrays(true, false, k, n, m, xv, gs))) }
            if b.requiresGrad {
                var db = [Double](repeating: 0, count: n)
                db.withUnsafeMutableBufferPointer { d in
                    gs.withUnsafeBufferPointer { p in
                        for i in 0..<m { for j in 0..<n { d[j] += p[i * n + j] } }
                    }
                }
                acc.add(b, Tensor(unchecked: b.shape, db))
            }
        }
    }
}
