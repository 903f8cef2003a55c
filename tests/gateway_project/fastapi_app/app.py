from fastapi import APIRouter, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from mangum import Mangum

PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # the start of a PNG

router = APIRouter()


@router.get("/items/{item_id}")
def get_item(item_id: int, q: str | None = None, tag: list[str] | None = None):
    return {"item_id": item_id, "q": q}


@router.post("/items")
def create_item(item: dict):
    return JSONResponse({"created": item}, status_code=201)


@router.get("/image")
def image():
    return Response(PNG, media_type="image/png")


@router.get("/cookies")
def cookies(request: Request, response: Response):
    response.set_cookie("first", "1")
    response.set_cookie("second", "2")
    return {"seen": dict(request.cookies)}


@router.get("/headers")
def headers(request: Request):
    return {"agent": request.headers.get("user-agent"), "custom": request.headers.get("x-custom")}


@router.get("/missing")
def missing():
    raise HTTPException(status_code=404, detail="no such thing")


@router.get("/teapot")
def teapot():
    return JSONResponse({"short": "and stout"}, status_code=418, headers={"x-tea": "earl grey"})


app = FastAPI()
app.include_router(router, prefix="/rest")
app.include_router(router, prefix="/http")
handler = Mangum(app, lifespan="off")
