# Script TOP callbacks: send this Script TOP's first input to sdlive (sdlive run --input shm:sdlive-in).
# Put sdlive_shm.py in a Text DAT named "sdlive_shm" next to this Script TOP (or on the Python path), wire the
# TOP to send into input 0, and set "Cook Every Frame" on. The output passes the input through unchanged.
sdlive_shm = mod('sdlive_shm') if 'mod' in globals() else __import__('sdlive_shm')  # noqa: F821 (TouchDesigner's mod)
_writers = {}


def onSetupParameters(scriptOp):
    page = scriptOp.appendCustomPage('sdlive')
    page.appendStr('Ringname', label='Ring name')[0].default = 'sdlive-in'
    page.appendToggle('Raw', label='Raw RGB (no header)')
    return


def onCook(scriptOp):
    if not scriptOp.inputs:
        return
    src = scriptOp.inputs[0]
    pixels = sdlive_shm.to_uint8_top_first(src.numpyArray(delayed=False))
    name = scriptOp.par.Ringname.eval() or 'sdlive-in'
    h, w = pixels.shape[0], pixels.shape[1]
    if scriptOp.par.Raw.eval():
        writer = _writers.get((name, w, h)) or _writers.setdefault((name, w, h), sdlive_shm.RawWriter(name, w, h))
    else:
        writer = _writers.get(name) or _writers.setdefault(name, sdlive_shm.RingWriter(name, w, h))
    writer.write(pixels)
    scriptOp.copyNumpyArray(sdlive_shm.to_td(pixels))
    return
